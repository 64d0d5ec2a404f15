/** Something that answers a Request in this process (a Yoga server's `fetch`). */
export type InProcessFetch = (request: Request) => Promise<Response> | Response;

/** CPU per request of each server, measured in interleaved rounds in this one process. */
export interface SequentialCpu {
  msPerRequest: number[];
  requests: number;
}

/**
 * CPU milliseconds per request of several in-process servers answering the same request one
 * at a time, interleaved in rounds (a, b, a, b…) so that a busy machine slows each alike. CPU
 * time of the process, not wall time: on a shared machine it moves far less than req/s. Every
 * response must equal `expectBody`.
 */
export async function sequentialCpu(
  servers: InProcessFetch[],
  request: () => Request,
  expectBody: string,
  { rounds = 10, perRound = 20 } = {},
): Promise<SequentialCpu> {
  const used = servers.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (const [index, server] of servers.entries()) {
      const start = process.cpuUsage();
      for (let i = 0; i < perRound; i++) {
        const body = await (await server(request())).text();
        if (body !== expectBody) throw new Error(`server ${index} answered other bytes`);
      }
      const spent = process.cpuUsage(start);
      used[index]! += (spent.user + spent.system) / 1000;
    }
  }
  const requests = rounds * perRound;
  return { msPerRequest: used.map((ms) => ms / requests), requests };
}
