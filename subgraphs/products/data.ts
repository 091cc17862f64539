export interface Product {
  id: string;
  name: string;
  price: number;
  cost: number;
}

export const products: Product[] = [
  { id: 'p1', name: 'Teapot', price: 25, cost: 9.5 },
  { id: 'p2', name: 'Looking glass', price: 120, cost: 48 },
  { id: 'p3', name: 'Pocket watch', price: 75, cost: 30 },
];

export function findProduct(id: string): Product | undefined {
  return products.find((product) => product.id === id);
}
