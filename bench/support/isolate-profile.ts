import { writeFileSync } from 'node:fs';
import { connectInspector } from './isolate-heap';

/** One node of a V8 CPU profile (`Profiler.stop`), the fields summarised here. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** A V8 CPU profile of a workerd isolate, recorded through its inspector while work runs. */
export interface IsolateProfiler {
  /** Stops, writes the profile (`.cpuprofile`, for Chrome DevTools) and prints the top functions. */
  stop(): Promise<void>;
}

/** Functions printed by self time. */
const TOP_FUNCTIONS = 25;

/**
 * Starts sampling the isolate's JavaScript every `intervalUs` microseconds. `BENCH_WORKER_PROFILE`
 * (a file path) turns it on in the suites that run the dispatch Worker; the printed table is
 * self time per function (where the isolate's CPU went), idle and the runtime's own time
 * (`(program)`, `(garbage collector)`) included.
 */
export async function profileIsolate(
  inspectorUrl: string,
  file: string,
  intervalUs = 200,
): Promise<IsolateProfiler> {
  const inspector = await connectInspector(inspectorUrl);
  await inspector.command('Profiler.enable');
  await inspector.command('Profiler.setSamplingInterval', { interval: intervalUs });
  await inspector.command('Profiler.start');
  return {
    async stop() {
      const { profile } = await inspector.command<{ profile: CpuProfile }>('Profiler.stop');
      inspector.close();
      writeFileSync(file, JSON.stringify(profile));
      const byId = new Map(profile.nodes.map((node) => [node.id, node]));
      const self = new Map<string, number>();
      let total = 0;
      profile.samples.forEach((id, index) => {
        const frame = byId.get(id)?.callFrame;
        const delta = profile.timeDeltas[index] ?? 0;
        total += delta;
        const name = frame
          ? `${frame.functionName || '(anonymous)'} ${frame.url.split('/').at(-1) ?? ''}:${frame.lineNumber + 1}`
          : '?';
        self.set(name, (self.get(name) ?? 0) + delta);
      });
      console.log(`  isolate CPU profile written to ${file}; self time by function:`);
      for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP_FUNCTIONS)) {
        console.log(
          `    ${(us / 1000).toFixed(1).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${name}`,
        );
      }
    },
  };
}
