/** What the other parts of Connections use of the live state: each receiver's recorded state and its event. */
export { ConnectionStateRepository } from './infra/connection-state.repository.js';
export { receiverStateEvent } from './domain/receiver-state.js';
