/**
 * What is worked out once per parsed operation. Apollo Server keeps parsed
 * documents (its document store), so a repeated query comes back with the
 * very same document and operation nodes; what depends on the operation
 * alone is then answered from memory, for as long as the document is kept.
 */
import type { DocumentNode, OperationDefinitionNode } from 'graphql';

export function perOperation<T>(make: (document: DocumentNode, operation: OperationDefinitionNode) => T): (document: DocumentNode, operation: OperationDefinitionNode) => T {
  const byDocument = new WeakMap<DocumentNode, Map<OperationDefinitionNode, T>>();
  return (document, operation) => {
    let operations = byDocument.get(document);
    if (!operations) byDocument.set(document, (operations = new Map()));
    let value = operations.get(operation);
    if (value === undefined) operations.set(operation, (value = make(document, operation)));
    return value;
  };
}
