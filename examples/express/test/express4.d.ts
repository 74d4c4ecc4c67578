// Express 4, installed under the alias `express4` for the Express 4 run of the scenarios;
// its API is the part of Express 5's types the example uses.
declare module 'express4' {
  import express from 'express';
  export default express;
}
