/**
 * The request header a client sends to say its timers run this many times faster than wall time (the local host's
 * clock scale, AKSNET_CLOCK_SCALE). The simulator (sim/arm/containerService.ts) then counts an operation's
 * Retry-After in the client's seconds; shared/azure/clients.ts sends it. One constant so the two cannot drift.
 */
export const CLOCK_SCALE_HEADER = 'x-aksnet-clock-scale';
