import { adapterConformanceSuite } from '@bulwark/testkit'
import Koa2 from 'koa2'
import { koaHarness } from './harness.js'

adapterConformanceSuite(
  'koa 2',
  koaHarness(() => new Koa2()),
)
