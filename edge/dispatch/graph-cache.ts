import type { WorkflowGraph } from '../../workflow/types';

/**
 * How many published versions' graphs an isolate keeps. A graph is a few kB of JSON, a large
 * one (50 steps of 2,000-character texts with channel responses) a few hundred: at most ~10 MB
 * of a Worker isolate's 128 MB even then, and a batch rarely spans more than a few versions.
 */
export const MAX_CACHED_GRAPHS = 50;

/**
 * Published workflow versions' graphs, kept by the isolate across batches: a version is never
 * changed once published (only inserted), so its graph can be loaded once instead of once per
 * run and batch. Bounded (MAX_CACHED_GRAPHS), least recently used first out. The graphs are
 * frozen: every run of a version shares one object, so nothing may change it.
 */
export class GraphCache {
  readonly #graphs = new Map<string, WorkflowGraph>();

  constructor(readonly limit = MAX_CACHED_GRAPHS) {}

  /**
   * The cached graphs a batch may reuse, taken now: the batch reads them from this copy, so a
   * concurrent batch evicting one meanwhile cannot leave it without its graph.
   */
  snapshot(): Map<string, WorkflowGraph> {
    return new Map(this.#graphs);
  }

  /** The graph of `versionId` was used (or loaded): keep it, as the most recent. */
  keep(versionId: string, graph: WorkflowGraph): WorkflowGraph {
    this.#graphs.delete(versionId);
    this.#graphs.set(versionId, graph);
    while (this.#graphs.size > this.limit) {
      const oldest = this.#graphs.keys().next().value;
      if (oldest === undefined) break;
      this.#graphs.delete(oldest);
    }
    return graph;
  }
}

/** Freezes a parsed graph and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
