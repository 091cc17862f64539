export interface Product {
  id: string;
  name: string;
  price: number;
  cost: number;
  supplier: string;
}

export const products: Product[] = [
  { id: 'p1', name: 'Teapot', price: 25, cost: 9.5, supplier: 'Mad Hatter & Co' },
  { id: 'p2', name: 'Looking glass', price: 120, cost: 48, supplier: 'Mirror Works' },
  { id: 'p3', name: 'Pocket watch', price: 75, cost: 30, supplier: 'White Rabbit Timepieces' },
];

export function findProduct(id: string): Product | undefined {
  return products.find((product) => product.id === id);
}
