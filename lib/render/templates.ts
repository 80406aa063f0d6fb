import Handlebars from 'handlebars'
import { templateSources } from './template-sources.ts'

export type Template = (context: object) => string

export interface Templates {
  pageStart: Template
  /** a run of messages, each with a day heading where its day begins */
  messages: Template
  pageEnd: Template
  mailExport: Template
  mailExportReady: Template
}

/**
 * Compiles every template once, at registration, in a Handlebars environment
 * of our own so the host's global Handlebars helpers are neither used nor changed.
 */
export function compileTemplates (): Templates {
  const handlebars = Handlebars.create()
  const escape = handlebars.Utils.escapeExpression
  // Escapes first, then adds only <br>: the SafeString holds HTML this code built from escaped pieces.
  handlebars.registerHelper('multiline', (text: string) => new handlebars.SafeString(escape(text).replace(/\r?\n/g, '<br>')))
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b)

  const source = (name: string) => templateSources[name]
  handlebars.registerPartial('message', source('export-message'))
  const compile = (name: string, usesDataVariables = false): Template => {
    // Declaring the only helpers lets Handlebars compile direct calls instead of per-expression
    // helper lookups: the message partial runs once per exported message.
    const template = handlebars.compile(source(name), {
      knownHelpers: { multiline: true, eq: true },
      knownHelpersOnly: true,
      data: usesDataVariables
    })
    return (context) => template(context)
  }
  return {
    pageStart: compile('export-page-start'),
    messages: compile('export-messages'),
    pageEnd: compile('export-page-end'),
    mailExport: compile('mail-export', true),
    mailExportReady: compile('mail-export-ready')
  }
}
