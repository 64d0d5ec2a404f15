// Stands in for packages a Worker bundle must not carry (see WORKER_ALIASES in worker-bundle.ts).
export default {};
