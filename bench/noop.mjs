// The baseline for bench/run.sh: the cheapest possible JS worker, measured in the same harness.
export default { fetch() { return new Response("ok"); } };
