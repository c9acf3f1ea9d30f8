import { expect, it } from 'vitest'
import * as api from '../src/index.ts'

it('exports exactly the documented runtime API', () => {
  expect(Object.keys(api).sort()).toEqual([
    'CLOUD_METADATA_ADDRESSES',
    'DEFAULT_HTML_TAGS',
    'DEFAULT_PORTS',
    'FilenameCode',
    'FilenameSchema',
    'INDEX_PSEUDO_CLASSES',
    'LOCAL_NAME_SUFFIXES',
    'LOOKALIKE_SEPARATORS',
    'NESTING_PSEUDO_CLASSES',
    'NTH_PSEUDO_CLASSES',
    'PERMITTED_HTML_TAGS',
    'RESERVED_KEYS',
    'SIMPLE_PSEUDO_CLASSES',
    'SelectorCode',
    'SelectorSchema',
    'TEXT_PSEUDO_CLASSES',
    'TaskConfigCode',
    'TaskConfigSchema',
    'UrlCode',
    'UrlSchema',
    'ValidationError',
    'WINDOWS_RESERVED_NAMES',
    'assertPublicUrl',
    'checkFilename',
    'checkPublicUrl',
    'checkSelector',
    'checkUrl',
    'classifyAddress',
    'escapeCsvCell',
    'escapeXmlAttribute',
    'escapeXmlText',
    'filenameSchema',
    'parseTaskConfig',
    'safeAgent',
    'safeDispatcher',
    'safeHttpsAgent',
    'sanitizeFilename',
    'sanitizeHtml',
    'selectorSchema',
    'stripInvalidXmlChars',
    'taskConfigJsonSchema',
    'taskConfigSchema',
    'toCsvRow',
    'urlSchema',
  ])
})

it('keeps every result code unique and prefixed by its validator', () => {
  const groups = {
    URL_: api.UrlCode,
    SELECTOR_: api.SelectorCode,
    FILENAME_: api.FilenameCode,
    TASK_CONFIG_: api.TaskConfigCode,
  }
  const all: string[] = []
  for (const [prefix, codes] of Object.entries(groups)) {
    for (const code of Object.values(codes)) {
      expect(code.startsWith(prefix)).toBe(true)
      all.push(code)
    }
  }
  expect(new Set(all).size).toBe(all.length)
})
