import { adapterConformanceSuite } from '@bulwark/testkit'
import Koa from 'koa'
import { koaHarness } from './harness.js'

adapterConformanceSuite(
  'koa 3',
  koaHarness(() => new Koa()),
)
