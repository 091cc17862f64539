export { eventually } from '../../scripts/lib/eventually.js';
