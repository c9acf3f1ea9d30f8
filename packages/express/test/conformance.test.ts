import { adapterConformanceSuite } from '@bulwark/testkit'
import express from 'express'
import { expressHarness } from './harness.js'

adapterConformanceSuite(
  'express 5',
  expressHarness(() => express()),
)
