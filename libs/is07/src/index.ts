export { Is07Module, IS07_MIGRATIONS } from './is07.module.js';
