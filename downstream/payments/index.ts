/**
 * `payments`: a downstream service, not a subgraph — plain HTTP/JSON that the
 * orders subgraph calls on its caller's behalf (Order.payment).
 *
 *   GET /payments/<orderId>  → 200 {"status","last4"} to the order's owner only;
 *                              403 FORBIDDEN to anyone else (an unknown order too: no way to probe which exist);
 *                              401 without a caller (no token or session, or a bad one), 403 ACTOR_NOT_ALLOWED
 *                              for a token exchanged by a subgraph it does not take calls from (token mode).
 *
 * With a ledger (LEDGER_URL set; the demo runs without one), the status is the
 * ledger's, asked on the same caller's behalf — a hop further, as payments
 * itself: `GET <LEDGER_URL>/ledger/<orderId>` → `{"status"}`. The subgraph
 * list then lists payments (`"kind": "service", "downstream": ["ledger"]`);
 * a refusal there is answered with the ledger's code and status.
 */
import { errorBody } from '../../shared/errors.js';
import type { DownstreamServiceDefinition } from '../../shared/downstream-service.js';
import { paymentOf } from './data.js';

export const paymentsService: DownstreamServiceDefinition = {
  name: 'payments',
  defaultPort: 4010,
  defaultActors: ['orders'],
  // No default: called only when LEDGER_URL is set.
  downstream: { ledger: null },
  routes: [
    {
      path: '/payments/:orderId',
      async answer(req, { identity }, calls) {
        const payment = paymentOf(String(req.params.orderId));
        if (!payment || payment.userId !== identity.id) return { status: 403, body: errorBody('FORBIDDEN', 'not a payment of yours') };
        const status = calls.has('ledger') ? (await calls.get<{ status: string }>('ledger', `/ledger/${encodeURIComponent(payment.orderId)}`)).status : payment.status;
        return { status: 200, body: { status, last4: payment.last4 } };
      },
    },
  ],
};
