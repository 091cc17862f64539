// Preloaded by the soak (NODE_OPTIONS=--require) into every process it starts:
// V8 then prints each collection, with the heap that survived it, on stdout.
// (--trace-gc itself is not allowed in NODE_OPTIONS.)
require('node:v8').setFlagsFromString('--trace-gc');
