import type { RichTextBlock, RichTextSpan } from '../../workflow/types';
import { builder } from '../builder';

/**
 * Rich text (an e-mail body) as typed GraphQL blocks, mirroring `RichTextBlock` in
 * workflow/types.ts: paragraphs, headings (level 1–3) and lists whose items are runs of spans.
 */

export const RichTextBlockTypeEnum = builder.enumType('RichTextBlockType', {
  values: {
    PARAGRAPH: { value: 'paragraph' },
    HEADING: { value: 'heading' },
    LIST: { value: 'list' },
  } as const,
});

export const RichTextSpanRef = builder.objectRef<RichTextSpan>('RichTextSpan').implement({
  description: 'An inline run of text; `text` and `link` may hold variables and snippets.',
  fields: (t) => ({
    text: t.exposeString('text'),
    bold: t.boolean({ resolve: (span) => span.bold ?? false }),
    italic: t.boolean({ resolve: (span) => span.italic ?? false }),
    underline: t.boolean({ resolve: (span) => span.underline ?? false }),
    link: t.string({ nullable: true, resolve: (span) => span.link ?? null }),
  }),
});

export const RichTextBlockRef = builder.objectRef<RichTextBlock>('RichTextBlock').implement({
  description:
    'One block of rich text. `spans` is set for paragraphs and headings, `items` for lists.',
  fields: (t) => ({
    type: t.field({ type: RichTextBlockTypeEnum, resolve: (block) => block.type }),
    level: t.int({
      nullable: true,
      description: 'Heading level, 1 to 3.',
      resolve: (block) => (block.type === 'heading' ? block.level : null),
    }),
    ordered: t.boolean({
      nullable: true,
      resolve: (block) => (block.type === 'list' ? block.ordered : null),
    }),
    spans: t.field({
      type: [RichTextSpanRef],
      nullable: true,
      resolve: (block) => (block.type === 'list' ? null : block.spans),
    }),
    items: t.field({
      type: t.listRef(t.listRef(RichTextSpanRef)),
      nullable: true,
      description: 'List items, each a run of spans.',
      resolve: (block) => (block.type === 'list' ? block.items : null),
    }),
  }),
});

export const RichTextSpanInput = builder.inputType('RichTextSpanInput', {
  fields: (t) => ({
    text: t.string({ required: true }),
    bold: t.boolean(),
    italic: t.boolean(),
    underline: t.boolean(),
    link: t.string({
      description: 'An http(s), mailto or tel URL, or one that starts with a variable.',
    }),
  }),
});

export const RichTextBlockInput = builder.inputType('RichTextBlockInput', {
  description: 'Set `spans` for a paragraph or heading (with `level`), `items` for a list.',
  fields: (t) => ({
    type: t.field({ type: RichTextBlockTypeEnum, required: true }),
    level: t.int({ description: 'Heading level, 1 to 3 (headings only).' }),
    ordered: t.boolean({ description: 'Numbered list (lists only).' }),
    spans: t.field({ type: [RichTextSpanInput] }),
    items: t.field({ type: t.listRef(t.listRef(RichTextSpanInput)) }),
  }),
});
