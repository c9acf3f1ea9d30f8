// express 4 is installed under the alias `express4` to run the suite against it; its API is the one typed here.
declare module 'express4' {
  import express = require('express')
  export = express
}
