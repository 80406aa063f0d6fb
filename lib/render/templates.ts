import Handlebars from 'handlebars'
import { templateSources } from './template-sources.ts'

export type Template = (context: object) => string

export interface Templates {
  pageStart: Template
  pageEnd: Template
  /** `index.html` of a multi-part export */
  index: Template
  mailExport: Template
  /** one message of a mail, to measure how many fit in its body */
  mailMessage: Template
  mailExportReady: Template
}

/**
 * Compiles every template once, at registration, in a Handlebars environment
 * of our own so the host's global Handlebars helpers are neither used nor changed.
 */
export function compileTemplates (): Templates {
  const handlebars = Handlebars.create()
  // HTML built outside the templates (`…Html` fields, triple braces) comes from the markup walker, which escapes every piece.
  const source = (name: string) => templateSources[name]
  handlebars.registerPartial('style', source('export-style'))
  handlebars.registerPartial('mailMessage', source('mail-message'))
  const compile = (name: string, usesDataVariables = false): Template => {
    // No helpers beyond the built-in ones: Handlebars compiles direct calls instead of per-expression
    // helper lookups. (The page's messages are rendered in code: see page-messages.ts.)
    const template = handlebars.compile(source(name), {
      knownHelpersOnly: true,
      data: usesDataVariables
    })
    return (context) => template(context)
  }
  return {
    pageStart: compile('export-page-start'),
    pageEnd: compile('export-page-end'),
    index: compile('export-index'),
    mailExport: compile('mail-export', true),
    mailMessage: compile('mail-message'),
    mailExportReady: compile('mail-export-ready')
  }
}
