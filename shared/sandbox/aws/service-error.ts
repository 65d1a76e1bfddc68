/**
 * An error with the exact code a service's API uses (e.g. Cost Explorer's
 * `DataUnavailableException`), for the sandbox's billing and S3 services. Never escapes the server.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
