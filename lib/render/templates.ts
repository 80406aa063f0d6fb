import Handlebars from 'handlebars'
import { templateSources } from './template-sources.ts'

export type Template = (context: object) => string

export interface Templates {
  pageStart: Template
  /** a run of messages, each with a day heading where its day begins */
  messages: Template
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
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b)

  const source = (name: string) => templateSources[name]
  handlebars.registerPartial('message', source('export-message'))
  handlebars.registerPartial('messageExtras', source('export-message-extras'))
  handlebars.registerPartial('quote', source('export-quote'))
  handlebars.registerPartial('style', source('export-style'))
  handlebars.registerPartial('mailMessage', source('mail-message'))
  const compile = (name: string, usesDataVariables = false): Template => {
    // Declaring the only helpers lets Handlebars compile direct calls instead of per-expression
    // helper lookups: the message partial runs once per exported message.
    const template = handlebars.compile(source(name), {
      knownHelpers: { eq: true },
      knownHelpersOnly: true,
      data: usesDataVariables
    })
    return (context) => template(context)
  }
  return {
    pageStart: compile('export-page-start'),
    messages: compile('export-messages'),
    pageEnd: compile('export-page-end'),
    index: compile('export-index'),
    mailExport: compile('mail-export', true),
    mailMessage: compile('mail-message'),
    mailExportReady: compile('mail-export-ready')
  }
}
