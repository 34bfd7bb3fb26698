export { Facility, DEFAULT_FACILITY, freePort, type FacilityOptions, type FacilityManifest } from './facility.js';
export { SimulatedRegistry } from './registry/simulated-registry.js';
export { SimulatedNode, type RequestRecord } from './node/simulated-node.js';
export { NmosSchemas } from './domain/nmos-schemas.js';
export { parseTai, formatTai, taiNow, taiNowNanos } from './domain/tai.js';
