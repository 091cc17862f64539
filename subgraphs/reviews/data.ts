/** In-memory reviews: demo data, reset when the process restarts. */
export interface Review {
  id: string;
  productId: string;
  authorId: string;
  body: string;
}

const reviews: Review[] = [
  { id: 'r1', productId: 'p1', authorId: 'u1', body: 'Perfect for a mad tea party.' },
  { id: 'r2', productId: 'p1', authorId: 'u2', body: 'Holds the tea, as promised.' },
  { id: 'r3', productId: 'p2', authorId: 'u1', body: 'Everything is the wrong way round.' },
  { id: 'r4', productId: 'p3', authorId: 'u2', body: 'Always running late.' },
];

export function reviewsOfProduct(productId: string): Review[] {
  return reviews.filter((review) => review.productId === productId);
}

export function reviewsByAuthor(authorId: string): Review[] {
  return reviews.filter((review) => review.authorId === authorId);
}

export function addReview(review: Omit<Review, 'id'>): Review {
  const created = { id: `r${reviews.length + 1}`, ...review };
  reviews.push(created);
  return created;
}
