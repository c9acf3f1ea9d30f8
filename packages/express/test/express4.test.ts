import { adapterConformanceSuite } from '@bulwark/testkit'
import express4 from 'express4'
import { expressHarness } from './harness.js'

adapterConformanceSuite(
  'express 4',
  expressHarness(() => express4()),
)
