/** The services of docker-compose.ha.yml (the guide's Pattern 1 made whole), sorted. */
export const HA_COMPOSE_SERVICES = [
  'controller-1',
  'controller-2',
  'controller-3',
  'db-backup',
  'db-primary',
  'db-replica',
  'mqtt-primary',
  'mqtt-secondary',
  'nginx',
];
