import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { selfSignedCertificate, type TestCertificate } from '../../../test/fakes/self-signed-cert';
import {
  type SmtpReceiver,
  startSmtpReceiver,
  startTlsResettingServer,
} from '../../../test/fakes/smtp-receiver';
import type { RenderContext } from '../../../workflow/variables';
import { type RenderMessageInput, renderMessage } from '../../render/message';
import type { RenderedMessage } from '../../render/types';
import { type AdapterWorker, startAdapterWorker } from '../adapter-harness';
import type { ChannelRecord, OutboundMessage } from '../types';

const USERNAME = 'team@example.com';
const PASSWORD = 'right-password';
const REJECTED = 'nobody@example.com';

let certificate: TestCertificate;
/** Trusted by the Worker, but for another host than 127.0.0.1. */
let otherHostCertificate: TestCertificate;
/** Trusted by the Worker, for 127.0.0.1, but expired yesterday. */
let expiredCertificate: TestCertificate;
let starttls: SmtpReceiver;
let worker: AdapterWorker;

beforeAll(async () => {
  certificate = await selfSignedCertificate();
  otherHostCertificate = await selfSignedCertificate({ names: ['mail.example.org'] });
  expiredCertificate = await selfSignedCertificate({
    names: ['expired.localhost'],
    ips: ['127.0.0.1'],
    notBefore: new Date(Date.now() - 3 * 24 * 60 * 60 * 1000),
    notAfter: new Date(Date.now() - 24 * 60 * 60 * 1000),
  });
  starttls = await startSmtpReceiver({
    security: 'starttls',
    certificate,
    users: { [USERNAME]: PASSWORD },
    rejectRecipients: [REJECTED],
  });
  worker = await startAdapterWorker({
    trustedCertificates: [certificate.cert, otherHostCertificate.cert, expiredCertificate.cert],
  });
});

afterAll(async () => {
  await worker?.dispose();
  await starttls?.close();
});

const contact = {
  id: 'contact-1',
  firstName: '<script>alert(1)</script> Zoë',
  lastName: 'Lovelace',
  email: 'zoe@example.net',
};
const ctx: RenderContext = {
  contact: { firstName: contact.firstName, lastName: contact.lastName, email: contact.email },
  now: new Date('2030-01-02T10:00:00Z'),
  timezone: 'UTC',
};

function emailChannel(
  receiver: { port: number },
  settings: Record<string, unknown> = {},
): ChannelRecord {
  return {
    id: 'channel-email',
    type: 'email',
    provider: 'smtp',
    name: 'Support mail',
    settings: {
      host: '127.0.0.1',
      port: receiver.port,
      security: 'starttls',
      fromAddress: 'team@example.com',
      fromName: 'Sendflow Team',
      ...settings,
    },
    credentials: { username: USERNAME, password: PASSWORD },
  };
}

function renderInput(deliveryId: string, step: number, previous: string[]): RenderMessageInput {
  return {
    content: { type: 'text', text: 'unused: the step has a body' },
    email: {
      subject: 'Step $trigger.step for $contact.firstname',
      body: [
        { type: 'heading', level: 2, spans: [{ text: 'Hello $contact.firstname' }] },
        { type: 'paragraph', spans: [{ text: `This is message ${step} of the thread.` }] },
        { type: 'paragraph', spans: [{ text: '.a line that starts with a dot' }] },
      ],
    },
    channelType: 'email',
    ctx: { ...ctx, trigger: { step: String(step) } },
    snippets: new Map(),
    files: new Map(),
    thread: { messageIds: previous },
    deliveryId,
    domain: 'example.com',
    templateKey: 'version-1:step-1',
  };
}

function outbound(
  deliveryId: string,
  rendered: RenderedMessage,
  channel: ChannelRecord,
  recipient = contact.email,
): OutboundMessage {
  return { deliveryId, workspaceId: 'workspace-1', channel, recipient, contact, rendered };
}

function addresses(field: AddressObject | AddressObject[] | undefined) {
  return (Array.isArray(field) ? field : field ? [field] : []).flatMap((entry) => entry.value);
}

function asList(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

describe('three sends in one thread over STARTTLS with AUTH', () => {
  test('each has its own Message-ID and the later ones chain In-Reply-To and References', async () => {
    const messageIds: string[] = [];
    for (const step of [1, 2, 3]) {
      const deliveryId = `00000000-0000-4000-8000-00000000000${step}`;
      const rendered = await worker.render(renderInput(deliveryId, step, [...messageIds]));
      const outcome = await worker.send(outbound(deliveryId, rendered, emailChannel(starttls)), {
        allowPrivateUrls: true,
      });
      expect(outcome).toMatchObject({
        status: 'sent',
        providerMessageId: `<${deliveryId}@example.com>`,
      });
      messageIds.push(`<${deliveryId}@example.com>`);
    }

    const [first, second, third] = await starttls.waitForMessages(3);
    expect(first?.parsed.messageId).toBe(messageIds[0]);
    expect(second?.parsed.messageId).toBe(messageIds[1]);
    expect(third?.parsed.messageId).toBe(messageIds[2]);
    expect(new Set(messageIds).size).toBe(3);

    expect(first?.parsed.inReplyTo).toBeUndefined();
    expect(asList(first?.parsed.references)).toEqual([]);
    expect(second?.parsed.inReplyTo).toBe(messageIds[0]);
    expect(asList(second?.parsed.references)).toEqual([messageIds[0]]);
    expect(third?.parsed.inReplyTo).toBe(messageIds[1]);
    expect(asList(third?.parsed.references)).toEqual([messageIds[0], messageIds[1]]);

    for (const [index, mail] of [first, second, third].entries()) {
      if (!mail) throw new Error('message missing');
      expect(mail.secure).toBe(true);
      expect(mail.user).toBe(USERNAME);
      expect(mail.envelope).toEqual({ from: 'team@example.com', to: [contact.email] });
      expect(mail.parsed.subject).toBe(`Step ${index + 1} for <script>alert(1)</script> Zoë`);
      expect(addresses(mail.parsed.from)).toEqual([
        { address: 'team@example.com', name: 'Sendflow Team' },
      ]);
      expect(addresses(mail.parsed.to)).toEqual([
        { address: contact.email, name: '<script>alert(1)</script> Zoë Lovelace' },
      ]);
      const html = mail.parsed.html || '';
      expect(html).toContain('Hello &lt;script&gt;alert(1)&lt;/script&gt; Zoë');
      expect(html).not.toContain('<script>');
      expect(html).toContain('max-width:600px');
      expect(mail.parsed.text).toContain(`This is message ${index + 1} of the thread.`);
      expect(mail.parsed.text).toContain('\n.a line that starts with a dot');
      expect(mail.raw).toMatch(/^Content-Type: multipart\/alternative;/m);
    }
  });
});

test('implicit TLS, AUTH LOGIN and a blank subject', async () => {
  const tls = await startSmtpReceiver({
    security: 'tls',
    certificate,
    users: { [USERNAME]: PASSWORD },
  });
  try {
    const rendered = await worker.render({
      ...renderInput('11111111-0000-4000-8000-000000000001', 1, []),
      email: null,
      content: { type: 'text', text: 'Plain body for $contact.lastname' },
    });
    const outcome = await worker.send(
      outbound(
        '11111111-0000-4000-8000-000000000001',
        rendered,
        emailChannel(tls, { security: 'tls', authMethod: 'login' }),
      ),
      { allowPrivateUrls: true },
    );
    expect(outcome.status).toBe('sent');
    const [mail] = await tls.waitForMessages(1);
    expect(mail?.secure).toBe(true);
    expect(mail?.parsed.subject ?? '').toBe('');
    expect(mail?.parsed.text?.trim()).toBe('Plain body for Lovelace');
  } finally {
    await tls.close();
  }
});

test('hostile values keep the header section whole: no white-space-only line, no control characters', async () => {
  const deliveryId = crypto.randomUUID();
  // A trigger value with a long run of spaces, NEL, U+2028 and a vertical tab; a From name
  // with quotes, a comma, a backslash and a long run of spaces; a subject long enough to fold.
  const note = `Ada${' '.repeat(150)}Lovelace\u0085Bcc: all@example.com\u2028x\u000by`;
  const rendered = await worker.render({
    ...renderInput(deliveryId, 1, []),
    email: {
      subject: `Über $trigger.note — ${'long words '.repeat(8)}`,
      body: [{ type: 'paragraph', spans: [{ text: 'Hi $trigger.note' }] }],
    },
    ctx: { ...ctx, trigger: { note } },
  });
  // Plain ASCII, so it goes as a quoted string unless something forces encoded-words.
  const fromName = `Ops, "Team" \\${' '.repeat(200)}Support`;
  const outcome = await worker.send(
    outbound(deliveryId, rendered, emailChannel(starttls, { fromName })),
    { allowPrivateUrls: true },
  );
  expect(outcome).toMatchObject({ status: 'sent' });
  const mail = (await starttls.waitForMessages(starttls.messages.length)).find(
    (each) => each.parsed.messageId === `<${deliveryId}@example.com>`,
  );
  if (!mail) throw new Error('message missing');
  const header = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n'));
  for (const line of header.split('\r\n')) {
    expect(line, JSON.stringify(line)).toMatch(/\S/);
    expect(line.length).toBeLessThanOrEqual(line.includes('=?') ? 76 : 78);
  }
  const subject = `Über Ada${' '.repeat(150)}Lovelace Bcc: all@example.com x y — ${'long words '.repeat(8)}`;
  expect(mail.parsed.subject).toBe(subject.trim());
  expect(mail.parsed.headers.get('bcc')).toBeUndefined();
  expect(addresses(mail.parsed.from)).toEqual([{ address: 'team@example.com', name: fromName }]);
  expect(mail.parsed.headers.get('mime-version')).toBe('1.0');
  expect(mail.parsed.text).toContain('Hi Ada');
});

describe('a server without service extensions (EHLO refused with 500)', () => {
  test('is greeted with HELO and the message is sent (RFC 5321 §2.2.1, §3.2)', async () => {
    const legacy = await startSmtpReceiver({ security: 'none', extendedSmtp: false });
    try {
      const deliveryId = crypto.randomUUID();
      const rendered = await worker.render(renderInput(deliveryId, 1, []));
      const channel = { ...emailChannel(legacy, { security: 'none' }), credentials: {} };
      const outcome = await worker.send(outbound(deliveryId, rendered, channel), {
        allowPrivateUrls: true,
      });
      expect(outcome).toMatchObject({ status: 'sent' });
      const [mail] = await legacy.waitForMessages(1);
      expect(mail?.parsed.messageId).toBe(`<${deliveryId}@example.com>`);
      expect(mail?.envelope).toEqual({ from: 'team@example.com', to: [contact.email] });
    } finally {
      await legacy.close();
    }
  });

  test('cannot do STARTTLS, so a channel that requires it fails instead of downgrading', async () => {
    const legacy = await startSmtpReceiver({ security: 'none', extendedSmtp: false });
    try {
      const deliveryId = crypto.randomUUID();
      const rendered = await worker.render(renderInput(deliveryId, 1, []));
      const outcome = await worker.send(outbound(deliveryId, rendered, emailChannel(legacy)), {
        allowPrivateUrls: true,
      });
      expect(outcome).toMatchObject({
        status: 'failed',
        reason: 'channel_not_connected',
        retryable: false,
        detail: expect.stringContaining('STARTTLS'),
      });
      expect(legacy.messages).toHaveLength(0);
    } finally {
      await legacy.close();
    }
  });
});

/**
 * A real SMTP server (`smtp-server`) with a fixed maximum message size, announced in EHLO
 * (`SIZE <n>`) or, with `hideSize`, announced as a bare `SIZE` and enforced only after the
 * upload (552). It counts the uploads it received and keeps the MAIL FROM parameters.
 */
async function startSizeLimitedServer(size: number, hideSize = false) {
  const uploads: number[] = [];
  const mailFromArgs: Record<string, unknown>[] = [];
  const server = new SMTPServer({
    logger: false,
    secure: false,
    hideSTARTTLS: true,
    authOptional: true,
    disabledCommands: ['AUTH'],
    size,
    hideSize,
    onMailFrom(address, _session, callback) {
      mailFromArgs.push(address.args === false ? {} : { ...address.args });
      callback();
    },
    onData(stream, _session, callback) {
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      stream.on('end', () => {
        uploads.push(bytes);
        // smtp-server marks a stream past `size`; refusing it is the application's call.
        if ((stream as { sizeExceeded?: boolean }).sizeExceeded) {
          const tooBig = 'Error: message exceeds fixed maximum message size';
          callback(Object.assign(new Error(tooBig), { responseCode: 552 }));
        } else {
          callback();
        }
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    uploads,
    mailFromArgs,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('message size (RFC 1870)', () => {
  async function sendTo(port: number) {
    const deliveryId = crypto.randomUUID();
    const rendered = await worker.render(renderInput(deliveryId, 1, []));
    const channel = { ...emailChannel({ port }, { security: 'none' }), credentials: {} };
    return worker.send(outbound(deliveryId, rendered, channel), { allowPrivateUrls: true });
  }

  test("a message over the server's announced SIZE fails content_invalid and is never uploaded", async () => {
    const server = await startSizeLimitedServer(1000);
    try {
      const outcome = await sendTo(server.port);
      expect(outcome).toMatchObject({
        status: 'failed',
        reason: 'content_invalid',
        retryable: false,
        detail: expect.stringMatching(/the message is \d+ bytes.* 1000 bytes the SMTP server/),
      });
      expect(server.mailFromArgs).toHaveLength(0);
      expect(server.uploads).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  test('MAIL declares the size to a server that offers SIZE, and the message is accepted', async () => {
    const server = await startSizeLimitedServer(10_000_000);
    try {
      expect(await sendTo(server.port)).toMatchObject({ status: 'sent' });
      expect(server.uploads).toHaveLength(1);
      // RFC 1870 §5: the octets after 354 without dot-stuffing's dots or the final dot line.
      const declared = Number(server.mailFromArgs[0]?.SIZE);
      expect(declared).toBeGreaterThan(0);
      expect(declared).toBeLessThanOrEqual(server.uploads[0]!);
    } finally {
      await server.close();
    }
  });

  test('a 552 after the upload (no limit announced) is content_invalid, not retried', async () => {
    const server = await startSizeLimitedServer(1000, true);
    try {
      expect(await sendTo(server.port)).toMatchObject({
        status: 'failed',
        reason: 'content_invalid',
        retryable: false,
        detail: expect.stringContaining('552'),
      });
      expect(server.uploads).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('failures are classified', () => {
  async function sendTo(channel: ChannelRecord, recipient = contact.email, timeoutMs?: number) {
    const deliveryId = crypto.randomUUID();
    const rendered = await worker.render(renderInput(deliveryId, 1, []));
    return worker.send(outbound(deliveryId, rendered, channel, recipient), {
      allowPrivateUrls: true,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
  }

  test('a wrong password is credentials_rejected, not retried', async () => {
    const channel = {
      ...emailChannel(starttls),
      credentials: { username: USERNAME, password: 'wrong' },
    };
    expect(await sendTo(channel)).toMatchObject({
      status: 'failed',
      reason: 'credentials_rejected',
      retryable: false,
      detail: expect.stringContaining('535'),
    });
  });

  test('a recipient the server refuses is rejected_by_provider, not retried', async () => {
    expect(await sendTo(emailChannel(starttls), REJECTED)).toMatchObject({
      status: 'failed',
      reason: 'rejected_by_provider',
      retryable: false,
      detail: expect.stringContaining('550'),
    });
  });

  test('a server that is down is a retryable network failure', async () => {
    const gone = await startSmtpReceiver({ security: 'none' });
    await gone.close();
    expect(await sendTo(emailChannel(gone))).toMatchObject({
      status: 'failed',
      reason: 'network',
      retryable: true,
    });
  });

  test('a server that never answers times out as a retryable network failure', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const outcome = await sendTo(
        emailChannel(silent.address() as AddressInfo),
        contact.email,
        500,
      );
      expect(outcome).toMatchObject({ status: 'failed', reason: 'network', retryable: true });
      expect(outcome.status === 'failed' && outcome.detail).toContain('greeting');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('STARTTLS configured but not offered fails instead of sending in plain text', async () => {
    const plain = await startSmtpReceiver({ security: 'none', users: { [USERNAME]: PASSWORD } });
    try {
      expect(await sendTo(emailChannel(plain))).toMatchObject({
        status: 'failed',
        reason: 'channel_not_connected',
        retryable: false,
        detail: expect.stringContaining('STARTTLS'),
      });
      expect(plain.messages).toHaveLength(0);
    } finally {
      await plain.close();
    }
  });

  describe('a TLS handshake after STARTTLS that the Worker refuses fails channel_not_connected, not retried', () => {
    const cases: [string, () => Promise<TestCertificate>][] = [
      // Not among the Worker's trusted certificates: self-signed, issued by no CA it knows.
      [
        'a self-signed certificate',
        () => selfSignedCertificate({ names: ['untrusted.localhost'], ips: ['127.0.0.1'] }),
      ],
      ['a certificate for another host', async () => otherHostCertificate],
      ['an expired certificate', async () => expiredCertificate],
    ];
    for (const [name, make] of cases) {
      test(name, async () => {
        const server = await startSmtpReceiver({
          security: 'starttls',
          certificate: await make(),
          users: { [USERNAME]: PASSWORD },
        });
        try {
          const outcome = await sendTo(emailChannel(server));
          expect(outcome).toMatchObject({
            status: 'failed',
            reason: 'channel_not_connected',
            retryable: false,
            detail: expect.stringContaining('TLS handshake after STARTTLS failed'),
          });
          expect(server.messages).toHaveLength(0);
        } finally {
          await server.close();
        }
      });
    }
  });

  test('a connection reset in the TLS handshake after STARTTLS stays a retryable network failure', async () => {
    const server = await startTlsResettingServer();
    try {
      expect(await sendTo(emailChannel(server))).toMatchObject({
        status: 'failed',
        reason: 'network',
        retryable: true,
        detail: expect.stringContaining('TLS handshake'),
      });
    } finally {
      await server.close();
    }
  });

  test('a loopback SMTP host is refused when the deployment does not allow private targets', async () => {
    const before = starttls.messages.length;
    const deliveryId = crypto.randomUUID();
    const rendered = await worker.render(renderInput(deliveryId, 1, []));
    const outcome = await worker.send(outbound(deliveryId, rendered, emailChannel(starttls)), {
      allowPrivateUrls: false,
    });
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'channel_not_connected',
      retryable: false,
    });
    expect(starttls.messages).toHaveLength(before);
  });

  test('a subject carrying CR/LF never reaches the wire', async () => {
    const deliveryId = crypto.randomUUID();
    const rendered = await worker.render(renderInput(deliveryId, 1, []));
    if (rendered.kind !== 'email') throw new Error('expected an email');
    const hostile = { ...rendered, subject: 'Hi\r\nBcc: everyone@example.com' };
    const outcome = await worker.send(outbound(deliveryId, hostile, emailChannel(starttls)), {
      allowPrivateUrls: true,
    });
    expect(outcome).toMatchObject({
      status: 'failed',
      reason: 'content_invalid',
      retryable: false,
    });
  });

  test('a malformed recipient address is refused before connecting', async () => {
    expect(
      await sendTo(emailChannel(starttls), 'zoe@example.net>\r\nRCPT TO:<x@y.z'),
    ).toMatchObject({
      status: 'failed',
      reason: 'no_associated_channel',
      retryable: false,
    });
  });
});

test('MJML renders in workerd exactly as in Node, cached or compiled per send', async () => {
  const input = renderInput('22222222-0000-4000-8000-000000000001', 2, ['<earlier@example.com>']);
  const inNode = await renderMessage(input, { cache: false });
  expect(await worker.render(input, { cache: false })).toEqual(inNode);
  expect(await worker.render(input)).toEqual(inNode);
  expect(await worker.render(input)).toEqual(inNode);
});
