import { runDownstreamService } from '../../shared/downstream-service.js';
import { paymentsService } from './index.js';

runDownstreamService(paymentsService);
