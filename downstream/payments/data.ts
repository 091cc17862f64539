/** The payment of each demo order (subgraphs/orders/data.ts), and whose order it is. */
export interface Payment {
  orderId: string;
  /** The order's owner: the only caller who may see this. */
  userId: string;
  status: 'paid' | 'refunded' | 'pending';
  last4: string;
}

const payments: Payment[] = [
  { orderId: 'o1', userId: 'u1', status: 'paid', last4: '4242' },
  { orderId: 'o2', userId: 'u2', status: 'pending', last4: '1881' },
];

export function paymentOf(orderId: string): Payment | undefined {
  return payments.find((payment) => payment.orderId === orderId);
}
