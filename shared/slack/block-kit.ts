import type {
  ActionsBlock,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  ImageBlock,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';
import { CostwatchError } from '../errors.js';

/**
 * Block Kit limits, enforced here and nowhere else (sources: ../shared/fixtures/slack/block_kit_limits.md;
 * the confirm-dialog and context-element limits from @slack/types' own doc comments).
 */
export const BLOCK_KIT_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  blockId: 255,
  actionsElements: 25,
  actionId: 255,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  contextElements: 10,
  contextText: 3000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  imageAltText: 2000,
  imageTitle: 2000,
  /** App Home and modal views hold up to 100 blocks. */
  blocksPerView: 100,
  /**
   * Not a Block Kit limit: the top-level `text` is only the notification and screen-reader
   * fallback, so it is kept short (Slack truncates it far later, at about 40,000 characters).
   */
  fallbackText: 3000,
} as const;

/** A message as costwatch sends it: blocks plus the plain-text fallback Slack requires for notifications. */
export interface SlackMessage {
  readonly text: string;
  readonly blocks: KnownBlock[];
}

/** A value that cannot be shortened without changing its meaning (an id, a URL) exceeds a Block Kit limit. */
export class BlockKitLimitError extends CostwatchError {
  constructor(
    readonly field: string,
    readonly limit: number,
    readonly length: number,
  ) {
    super(`${field} is ${length} characters; Block Kit allows ${limit}`);
  }
}

/** Shortens text to `max` characters (code points), ending with an ellipsis when cut. */
export function clamp(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** Escapes the three characters Slack's mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function length(s: string): number {
  return Array.from(s).length;
}

function exact(field: string, value: string, limit: number): string {
  const n = length(value);
  if (n > limit) throw new BlockKitLimitError(field, limit, n);
  return value;
}

function plain(text: string, max: number): PlainTextElement {
  return { type: 'plain_text', text: clamp(text || ' ', max), emoji: true };
}

function mrkdwn(text: string, max: number): MrkdwnElement {
  return { type: 'mrkdwn', text: clamp(text || ' ', max) };
}

/** A header block (plain text, ≤ 150 characters). */
export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(text, BLOCK_KIT_LIMITS.headerText) };
}

/** A section of mrkdwn text, optionally with up to 10 two-column fields. */
export function section(text: string | undefined, fields?: readonly string[]): SectionBlock {
  const block: SectionBlock = { type: 'section' };
  if (text !== undefined) block.text = mrkdwn(text, BLOCK_KIT_LIMITS.sectionText);
  if (fields && fields.length > 0) block.fields = fields.slice(0, BLOCK_KIT_LIMITS.sectionFields).map((f) => mrkdwn(f, BLOCK_KIT_LIMITS.sectionFieldText));
  if (!block.text && !block.fields) block.text = mrkdwn(' ', BLOCK_KIT_LIMITS.sectionText);
  return block;
}

/** A context block of mrkdwn snippets (≤ 10). */
export function context(...texts: string[]): ContextBlock {
  const kept = texts.filter((t) => t.length > 0).slice(0, BLOCK_KIT_LIMITS.contextElements);
  return { type: 'context', elements: (kept.length > 0 ? kept : [' ']).map((t) => mrkdwn(t, BLOCK_KIT_LIMITS.contextText)) };
}

/** An image block showing a file uploaded to Slack (`slack_file`), with its alt text and title. */
export function image(fileId: string, altText: string, title: string): ImageBlock {
  return { type: 'image', slack_file: { id: fileId }, alt_text: clamp(altText || ' ', BLOCK_KIT_LIMITS.imageAltText), title: plain(title, BLOCK_KIT_LIMITS.imageTitle) };
}

/** A divider. */
export function divider(): DividerBlock {
  return { type: 'divider' };
}

/** What a button does: send `value` back with `actionId`, or open `url`. */
export interface ButtonSpec {
  readonly actionId: string;
  readonly label: string;
  readonly value?: string;
  readonly url?: string;
  readonly style?: 'primary' | 'danger';
  /** A dialog Slack shows before sending the click. */
  readonly confirm?: { readonly title: string; readonly text: string; readonly confirm: string; readonly deny: string };
}

/**
 * A button. Labels are shortened to fit; an action id, value or URL that does not fit throws
 * BlockKitLimitError, since cutting it would make the button do something else.
 */
export function button(spec: ButtonSpec): Button {
  const b: Button = {
    type: 'button',
    action_id: exact('action_id', spec.actionId, BLOCK_KIT_LIMITS.actionId),
    text: plain(spec.label, BLOCK_KIT_LIMITS.buttonText),
  };
  if (spec.value !== undefined) b.value = exact('button value', spec.value, BLOCK_KIT_LIMITS.buttonValue);
  if (spec.url !== undefined) b.url = exact('button url', spec.url, BLOCK_KIT_LIMITS.buttonUrl);
  if (spec.style) b.style = spec.style;
  if (spec.confirm) {
    b.confirm = {
      title: plain(spec.confirm.title, BLOCK_KIT_LIMITS.confirmTitle),
      text: plain(spec.confirm.text, BLOCK_KIT_LIMITS.confirmText),
      confirm: plain(spec.confirm.confirm, BLOCK_KIT_LIMITS.confirmButton),
      deny: plain(spec.confirm.deny, BLOCK_KIT_LIMITS.confirmButton),
    };
  }
  return b;
}

/** Whether a URL fits in a button. */
export function fitsButtonUrl(url: string): boolean {
  return length(url) <= BLOCK_KIT_LIMITS.buttonUrl;
}

/** An actions block of up to 25 buttons, with a block id of at most 255 characters. */
export function actions(blockId: string, buttons: readonly Button[]): ActionsBlock {
  return {
    type: 'actions',
    block_id: exact('block_id', blockId, BLOCK_KIT_LIMITS.blockId),
    elements: buttons.slice(0, BLOCK_KIT_LIMITS.actionsElements),
  };
}

/**
 * A message within the limits: at most 50 blocks — when there are more, blocks are dropped from
 * the middle and an "omitted" note is added, keeping the header and the buttons — and a short
 * fallback text.
 */
export function message(text: string, blocks: readonly KnownBlock[]): SlackMessage {
  const max = BLOCK_KIT_LIMITS.blocksPerMessage;
  let kept = [...blocks];
  if (kept.length > max) {
    const tail = kept[kept.length - 1]?.type === 'actions' ? [kept[kept.length - 1]!] : [];
    const head = kept.slice(0, max - 1 - tail.length);
    const omitted = blocks.length - head.length - tail.length;
    kept = [...head, context(`_${omitted} more block${omitted === 1 ? '' : 's'} omitted (Slack shows at most ${max})_`), ...tail];
  }
  return { text: clamp(text || ' ', BLOCK_KIT_LIMITS.fallbackText), blocks: kept };
}

/** Blocks of an App Home view within its limit of 100; when there are more, the last kept block says how many were left out. */
export function viewBlocks(blocks: readonly KnownBlock[]): KnownBlock[] {
  const max = BLOCK_KIT_LIMITS.blocksPerView;
  if (blocks.length <= max) return [...blocks];
  const kept = blocks.slice(0, max - 1);
  return [...kept, context(`_${blocks.length - kept.length} more blocks omitted (Slack shows at most ${max})_`)];
}
