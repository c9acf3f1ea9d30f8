import { adapterConformanceSuite } from '@bulwark/testkit'
import { fastifyHarness } from './harness.js'

adapterConformanceSuite('fastify 5', fastifyHarness)
