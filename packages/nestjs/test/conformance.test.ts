import { adapterConformanceSuite } from '@bulwark/testkit'
import { nestHarness } from './harness.js'

adapterConformanceSuite('nestjs on platform-express', nestHarness('express'))
adapterConformanceSuite('nestjs on platform-fastify', nestHarness('fastify'))
