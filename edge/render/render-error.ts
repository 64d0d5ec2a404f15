/**
 * A message that cannot be rendered as configured (a file that no longer exists, a message
 * type the channel cannot send, a from-domain that cannot form a Message-ID). Retrying cannot
 * fix it, so dispatch records it as a permanent `content_invalid` failure.
 */
export class RenderError extends Error {
  readonly reason = 'content_invalid' as const;

  constructor(detail: string) {
    super(detail);
    this.name = 'RenderError';
  }
}
