import { Logger } from '@aws-lambda-powertools/logger';

/** One logger for every function, created once per execution environment. */
export const logger = new Logger({ serviceName: 'costwatch' });
