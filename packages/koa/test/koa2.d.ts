// koa 2 is installed under the alias `koa2` to run the suite against it; its API is the one typed here.
declare module 'koa2' {
  import Koa = require('koa')
  export = Koa
}
