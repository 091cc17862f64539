export interface Order {
  id: string;
  userId: string;
  items: { productId: string; quantity: number }[];
  total: number;
}

const orders: Order[] = [
  { id: 'o1', userId: 'u1', items: [{ productId: 'p1', quantity: 2 }, { productId: 'p3', quantity: 1 }], total: 125 },
  { id: 'o2', userId: 'u2', items: [{ productId: 'p2', quantity: 1 }], total: 120 },
];

export function ordersOf(userId: string): Order[] {
  return orders.filter((order) => order.userId === userId);
}
