import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channels, contacts, files } from '../../db/schema';
import { type SmtpReceiver, startSmtpReceiver } from '../../test/fakes/smtp-receiver';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/fakes/webhook-receiver';
import {
  publishWorkflow,
  readDeliveries,
  seedContact,
  seedCustomChannel,
  seedEmailChannel,
  seedWorkspace,
  sendConfig,
  WEBHOOK_SECRET,
  waitFor,
  waitForRun,
} from '../dispatch/test-seed';
import {
  type DispatchHarness,
  startDispatchHarness,
  startThroughApi,
} from '../dispatch/test-support';
import { MediaLinkSigner } from './signed-link';

/**
 * Media end to end, in workerd with the local R2 bucket: uploads through /graphql as the
 * GraphQL multipart request spec sends them, a step that uses them, the email that reaches a
 * real SMTP server (read back with mailparser), the signed link a webhook endpoint receives
 * and fetches, and everything refused on the way in or out.
 */

const PNG = Uint8Array.from(
  atob(
    'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAE0lEQVR4nGP4z8DAAMJg8v///wAn6QX7tIJiBgAAAABJRU5ErkJggg==',
  ),
  (char) => char.charCodeAt(0),
);
const PDF = new TextEncoder().encode(
  '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
);

const UPLOAD = /* GraphQL */ `
  mutation ($file: Upload!, $name: String) {
    uploadFile(file: $file, name: $name) {
      __typename
      ... on MutationUploadFileSuccess { data { id name contentType sizeBytes uploaded url } }
      ... on ValidationError { issues { code path message } }
    }
  }
`;

let harness: DispatchHarness;
let smtp: SmtpReceiver;
let webhook: WebhookReceiver;
let workspace: { workspaceId: string; apiKey: string };

beforeAll(async () => {
  smtp = await startSmtpReceiver({ security: 'none' });
  webhook = await startWebhookReceiver(WEBHOOK_SECRET);
  harness = await startDispatchHarness({ media: true });
  workspace = await seedWorkspace(harness.db);
});

afterAll(async () => {
  await harness?.close();
  await smtp?.close();
  await webhook?.close();
});

/** Uploads bytes as a file part; the client's claimed type is deliberately wrong. */
async function upload(bytes: Uint8Array, fileName: string, apiKey = workspace.apiKey) {
  const file = new File([bytes as Uint8Array<ArrayBuffer>], fileName, {
    type: 'application/octet-stream',
  });
  const result = await harness.upload(apiKey, UPLOAD, { file: null }, { file });
  expect(result.errors).toBeUndefined();
  return result.data.uploadFile;
}

async function uploaded(bytes: Uint8Array, fileName: string) {
  const result = await upload(bytes, fileName);
  expect(result.__typename, JSON.stringify(result)).toBe('MutationUploadFileSuccess');
  return result.data as { id: string; name: string; contentType: string; url: string };
}

async function ok(query: string, variables: Record<string, unknown>) {
  const result = await harness.gql(workspace.apiKey, query, variables);
  expect(result.errors).toBeUndefined();
  const payload = Object.values(result.data)[0] as { __typename: string; data: { id: string } };
  expect(payload.__typename, JSON.stringify(payload)).toMatch(/Success$/);
  return payload.data;
}

async function stored(storageKeyPrefix: string) {
  const bucket = await harness.worker.mf.getR2Bucket('MEDIA_BUCKET');
  return (await bucket.list({ prefix: storageKeyPrefix })).objects.map((object) => object.key);
}

describe('media', () => {
  it('uploads through /graphql multipart; the email shows the image inline and attaches the PDF', async () => {
    const image = await uploaded(PNG, 'cat.png');
    const pdf = await uploaded(PDF, 'terms.pdf');
    expect(image).toMatchObject({ name: 'cat.png', contentType: 'image/png', uploaded: true });
    expect(pdf).toMatchObject({ contentType: 'application/pdf', sizeBytes: PDF.length });
    const bucket = await harness.worker.mf.getR2Bucket('MEDIA_BUCKET');
    const object = await bucket.get(`${workspace.workspaceId}/${image.id}`);
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(PNG);

    const channelId = await seedEmailChannel(harness, workspace.workspaceId, {
      host: smtp.host,
      port: smtp.port,
      fromAddress: 'news@sendflow.test',
    });
    const workflow = await ok(
      'mutation ($input: CreateWorkflowInput!) { r: createWorkflow(input: $input) { __typename ... on MutationCreateWorkflowSuccess { data { id } } } }',
      { input: { name: 'Media email' } },
    );
    await ok(
      `mutation ($input: AddSendMessageStepInput!) {
        r: addSendMessageStep(input: $input) {
          __typename
          ... on MutationAddSendMessageStepSuccess { data { id } }
          ... on ValidationError { issues { code path message } }
        }
      }`,
      {
        input: {
          workflowId: workflow.id,
          name: 'Welcome',
          config: {
            channel: { kind: 'SPECIFIC', channelId },
            defaultMessage: {
              media: { fileId: image.id, caption: 'Meet the cat, $contact.firstname' },
            },
            email: { subject: 'Your welcome pack', attachments: [pdf.id] },
          },
        },
      },
    );
    await ok(
      'mutation ($id: ID!) { r: publishWorkflow(workflowId: $id) { __typename ... on MutationPublishWorkflowSuccess { data { version { id } } } ... on PublishRejected { report { errors { code message } } } } }',
      { id: workflow.id },
    );
    const contactId = await seedContact(harness.db, workspace.workspaceId, {
      firstName: 'Ada',
      email: 'ada.media@example.com',
    });
    const [runId] = await startThroughApi(harness, workspace.apiKey, workflow.id, [contactId]);
    await waitForRun(harness.db, runId!, (run) => run.status === 'completed');

    const mail = smtp.messages.find((m) => m.envelope.to.includes('ada.media@example.com'))!;
    const { parsed } = mail;
    expect(parsed.subject).toBe('Your welcome pack');
    expect(parsed.attachments).toHaveLength(2);
    const [inline, attached] = parsed.attachments;
    expect(inline).toMatchObject({
      filename: 'cat.png',
      contentType: 'image/png',
      contentDisposition: 'inline',
      related: true,
    });
    expect(new Uint8Array(inline!.content)).toEqual(PNG);
    // The HTML refers to the part by cid: (mailparser resolves such sources to data: URLs).
    expect(mail.raw.replace(/=\r\n/g, '')).toContain(`src=3D"cid:${inline!.cid}"`);
    expect(parsed.html).toContain(
      `src="data:image/png;base64,${btoa(String.fromCharCode(...PNG))}"`,
    );
    expect(attached).toMatchObject({
      filename: 'terms.pdf',
      contentType: 'application/pdf',
      contentDisposition: 'attachment',
    });
    expect(new Uint8Array(attached!.content)).toEqual(PDF);
    expect(parsed.text).toContain('Meet the cat, Ada');
    expect(parsed.text).toContain('Attached: terms.pdf');
    expect(parsed.text).toContain('[image: cat.png]');
    expect(mail.raw).toMatch(/^Content-Type: multipart\/mixed;/m);
  });

  it('serves an uploaded text file as UTF-8, which is all the library stores as text', async () => {
    const text = await uploaded(new TextEncoder().encode('Grüße, Zoë 👋\n'), 'notes.txt');
    expect(text.contentType).toBe('text/plain');
    const served = await fetch(text.url);
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await served.text()).toBe('Grüße, Zoë 👋\n');
  });

  it('sends a webhook the signed link, which it fetches; tampered or expired links answer 403', async () => {
    const image = await uploaded(PNG, 'link.png');
    const channelId = await seedCustomChannel(harness, workspace.workspaceId, webhook.url);
    const { workflowId } = await publishWorkflow(harness.db, workspace.workspaceId, [
      {
        key: 'picture',
        type: 'send_message',
        config: sendConfig({
          channel: { kind: 'specific', channelId },
          defaultMessage: { type: 'media', fileId: image.id, caption: 'Hi' },
        }),
      },
    ]);
    const contactId = await seedContact(harness.db, workspace.workspaceId, { firstName: 'Bo' });
    const [runId] = await startThroughApi(harness, workspace.apiKey, workflowId, [contactId]);
    await waitForRun(harness.db, runId!, (run) => run.status === 'completed');
    const received = await waitFor(
      async () =>
        webhook.requests.find(
          (request) => (request.json as { contact: { id: string } }).contact.id === contactId,
        ),
      { what: 'the webhook' },
    );
    expect(received.signatureError).toBeUndefined();
    const message = (received.json as { message: { kind: string; url: string; fileName: string } })
      .message;
    expect(message).toMatchObject({
      kind: 'media',
      fileName: 'link.png',
      contentType: 'image/png',
    });
    const link = new URL(message.url);
    expect(link.origin).toBe(harness.worker.url);
    // Ends in the type's extension: Viber takes a picture only from such a URL.
    expect(link.pathname).toBe(`/media/${image.id}.png`);

    // The endpoint fetches the link, as a provider does.
    const fetched = await fetch(link);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('image/png');
    expect(fetched.headers.get('content-length')).toBe(String(PNG.length));
    expect(fetched.headers.get('content-disposition')).toBe(
      `inline; filename="link.png"; filename*=UTF-8''link.png`,
    );
    expect(fetched.headers.get('x-content-type-options')).toBe('nosniff');
    expect(fetched.headers.get('cache-control')).toBe('private, max-age=3600');
    expect(new Uint8Array(await fetched.arrayBuffer())).toEqual(PNG);

    const range = await fetch(link, { headers: { range: 'bytes=8-23' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 8-23/${PNG.length}`);
    expect(range.headers.get('content-length')).toBe('16');
    expect(new Uint8Array(await range.arrayBuffer())).toEqual(PNG.slice(8, 24));
    // If-Range (RFC 9110 §13.1.5): the range only while the tag is the file's, strongly.
    const etag = fetched.headers.get('etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    const current = await fetch(link, { headers: { range: 'bytes=8-23', 'if-range': etag } });
    expect(current.status).toBe(206);
    await current.body?.cancel();
    for (const stale of ['"another-version"', `W/${etag}`, new Date().toUTCString()]) {
      const whole = await fetch(link, { headers: { range: 'bytes=8-23', 'if-range': stale } });
      expect(whole.status, stale).toBe(200);
      expect(new Uint8Array(await whole.arrayBuffer())).toEqual(PNG);
    }
    const suffix = await fetch(link, { headers: { range: 'bytes=-4' } });
    expect(new Uint8Array(await suffix.arrayBuffer())).toEqual(PNG.slice(-4));
    const beyond = await fetch(link, { headers: { range: `bytes=${PNG.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${PNG.length}`);
    await beyond.body?.cancel();
    const head = await fetch(link, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(PNG.length));

    const variant = (edit: (url: URL) => void) => {
      const url = new URL(link);
      edit(url);
      return url;
    };
    const signature = link.searchParams.get('signature')!;
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    const refused = [
      variant((url) => url.searchParams.set('signature', flipped)),
      variant((url) =>
        url.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 60)),
      ),
      variant((url) => url.searchParams.delete('signature')),
      variant((url) => {
        url.pathname = '/media/00000000-0000-4000-8000-000000000000';
      }),
      // Another type's extension on the same signed link.
      variant((url) => {
        url.pathname = `/media/${image.id}.pdf`;
      }),
    ];
    // Signed with the right key, but for another workspace, or already expired.
    const signer = new MediaLinkSigner(harness.credentialsKey, harness.worker.url);
    refused.push(
      new URL(
        await signer.link(
          { id: image.id, workspaceId: '00000000-0000-4000-8000-000000000000' },
          new Date(Date.now() + 60_000),
        ),
      ),
    );
    const expired = new URL(
      await signer.link(
        { id: image.id, workspaceId: workspace.workspaceId },
        new Date(Date.now() - 1000),
      ),
    );
    for (const url of [...refused, expired]) {
      const response = await fetch(url);
      expect(response.status, url.toString()).toBe(403);
      expect(response.headers.get('cache-control')).toBe('private, no-store');
      expect(await response.text()).toBe(url === expired ? 'This link has expired' : 'Forbidden');
    }
    // A fresh link from the same signer works: the refusals above are the signature's doing.
    const fresh = await fetch(
      await signer.link(
        { id: image.id, workspaceId: workspace.workspaceId },
        new Date(Date.now() + 60_000),
      ),
    );
    expect(fresh.status).toBe(200);
    await fresh.body?.cancel();
    // A link given out before links carried an extension (`/media/<id>`) is served alike: the
    // signature names the file, not its path's ending.
    const older = await fetch(
      variant((url) => {
        url.pathname = `/media/${image.id}`;
      }),
    );
    expect(older.status).toBe(200);
    expect(older.headers.get('content-type')).toBe('image/png');
    await older.body?.cancel();
    for (const path of ['/media', '/media/']) {
      const listing = await fetch(`${harness.worker.url}${path}`);
      expect(listing.status).toBe(404);
      await listing.body?.cancel();
    }
  });

  it('refuses bad uploads with typed errors and stores nothing', async () => {
    const other = await seedWorkspace(harness.db);
    const exe = new Uint8Array(512);
    exe.set([0x4d, 0x5a]); // "MZ": a Windows executable
    const huge = new Uint8Array(10 * 1024 * 1024 + 1);
    huge.set(PNG);
    const cases: [Uint8Array, string, string, string][] = [
      [new Uint8Array(), 'empty.png', 'FILE_EMPTY', 'file'],
      [exe, 'cat.png', 'FILE_TYPE_NOT_ALLOWED', 'file'],
      [PDF, 'invoice.png', 'FILE_TYPE_MISMATCH', 'name'],
      [huge, 'huge.png', 'FILE_TOO_LARGE', 'file'],
      [PNG, 'a\u0007b.png', 'INVALID_FILE_NAME', 'name'],
    ];
    for (const [bytes, name, code, path] of cases) {
      const result = await upload(bytes, name, other.apiKey);
      expect(result.__typename, name).toBe('ValidationError');
      expect(
        result.issues.map((issue: { code: string; path: string }) => [issue.code, issue.path]),
      ).toEqual([[code, path]]);
    }
    // Path separators in the given name (a multipart file name would have them stripped).
    for (const name of ['../../etc/passwd', 'dir\\\\cat.png']) {
      const file = new File([PNG], 'cat.png');
      const result = await harness.upload(other.apiKey, UPLOAD, { file: null, name }, { file });
      expect(result.data.uploadFile.issues[0].code, name).toBe('INVALID_FILE_NAME');
    }
    expect(
      await harness.db.select().from(files).where(eq(files.workspaceId, other.workspaceId)),
    ).toEqual([]);
    expect(await stored(`${other.workspaceId}/`)).toEqual([]);
  });

  it('takes a document up to its 25 MB cap (MiB), past the request limit Yoga has by default', async () => {
    // 25,500,000 bytes: over Yoga's default request body limit (25,000,000 bytes), within the
    // 25 MB (26,214,400 bytes) the library takes for documents.
    const text = new Uint8Array(25_500_000).fill(0x61);
    const file = await uploaded(text, 'big.txt');
    expect(file).toMatchObject({ contentType: 'text/plain', sizeBytes: text.length });
    // And one byte past the cap is the upload check's typed refusal, not a transport error.
    const over = await upload(new Uint8Array(25 * 1024 * 1024 + 1).fill(0x61), 'over.txt');
    expect(over.issues).toEqual([
      expect.objectContaining({ code: 'FILE_TOO_LARGE', path: 'file' }),
    ]);
  });

  it('refuses a chunked upload past every cap with 413, having read only up to the cap', async () => {
    const other = await seedWorkspace(harness.db);
    const boundary = 'sendflow-chunked';
    const head = new TextEncoder().encode(
      [
        `--${boundary}`,
        'Content-Disposition: form-data; name="operations"',
        '',
        JSON.stringify({ query: UPLOAD, variables: { file: null } }),
        `--${boundary}`,
        'Content-Disposition: form-data; name="map"',
        '',
        '{"0":["variables.file"]}',
        `--${boundary}`,
        'Content-Disposition: form-data; name="0"; filename="big.txt"',
        'Content-Type: text/plain',
        '',
        '',
      ].join('\r\n'),
    );
    // Sent without a Content-Length (chunked), and far larger than any upload may be.
    const chunk = new Uint8Array(1024 * 1024).fill(0x61);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(head);
      },
      pull(controller) {
        if (sent >= 200 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${harness.worker.url}/graphql`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${other.apiKey}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      body,
      duplex: 'half',
    } as RequestInit);
    const text = await response.text();
    expect(response.status, text + JSON.stringify([...response.headers])).toBe(413);
    expect(JSON.parse(text)).toMatchObject({
      errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }],
    });
    expect(sent).toBeLessThan(100 * 1024 * 1024);
    expect(await stored(`${other.workspaceId}/`)).toEqual([]);
  });

  it('refuses a JSON object in place of the file part as bad input, not as an unexpected error', async () => {
    const other = await seedWorkspace(harness.db);
    const result = await harness.gql(other.apiKey, UPLOAD, {
      file: { name: 'cat.png', size: 3, arrayBuffer: 'AAAA' },
    });
    expect(result.errors?.[0]?.message, JSON.stringify(result.errors)).toContain(
      'Upload expects a file part of a multipart request',
    );
    expect(await stored(`${other.workspaceId}/`)).toEqual([]);
  });

  it('fails a Last Interacted send whose file the channel cannot take, without calling it', async () => {
    const [sms] = await harness.db
      .insert(channels)
      .values({
        workspaceId: workspace.workspaceId,
        type: 'sms',
        provider: 'twilio',
        name: 'SMS',
        settings: { fromNumber: '+15005550006' },
        credentialsCiphertext: await harness.cipher.encrypt({ accountSid: 'AC1', authToken: 't' }),
      })
      .returning();
    const [big] = await harness.db
      .insert(files)
      .values({
        workspaceId: workspace.workspaceId,
        name: 'poster.png',
        contentType: 'image/png',
        sizeBytes: 6 * 1024 * 1024,
        url: 'https://cdn.example.com/poster.png',
      })
      .returning();
    const contactId = await seedContact(
      harness.db,
      workspace.workspaceId,
      { firstName: 'Cy', phone: '+447700900123', lastInteractedChannelId: sms!.id },
      [{ channelId: sms!.id, address: '+447700900123' }],
    );
    const { workflowId } = await publishWorkflow(harness.db, workspace.workspaceId, [
      {
        key: 'poster',
        type: 'send_message',
        config: sendConfig({ defaultMessage: { type: 'media', fileId: big!.id } }),
      },
    ]);
    const [runId] = await startThroughApi(harness, workspace.apiKey, workflowId, [contactId]);
    const run = await waitForRun(harness.db, runId!, (r) => r.status !== 'active');
    expect(run.status).toBe('exited');
    const [delivery] = await readDeliveries(harness.db, runId!);
    expect(delivery).toMatchObject({ status: 'failed', reasonCode: 'content_invalid' });
    expect(delivery!.reasonDetail).toBe(
      'poster.png is 6 MB, over the 5 MB SMS (Twilio) takes for image files',
    );
    const [contact] = await harness.db
      .select()
      .from(contacts)
      .where(and(eq(contacts.id, contactId)));
    expect(contact!.lastInteractedChannelId).toBe(sms!.id);
  });
});
