import { templateSpecs } from './template-specs.ts'

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

/** What this module uses of Handlebars' runtime (its package types the full Handlebars only). */
type HandlebarsRuntime = Pick<typeof import('handlebars'), 'create'>

/**
 * The templates, precompiled (`scripts/embed-templates.mjs`), on Handlebars'
 * runtime in an environment of our own, so the host's global Handlebars
 * helpers are neither used nor changed. The runtime is loaded here, when first
 * needed, not with the plugin: a server whose HTML exports render in the
 * worker thread and that sends no mail never needs it on its main thread.
 */
export async function createTemplates (): Promise<Templates> {
  const runtime = (await import('handlebars/runtime.js') as unknown as { default: HandlebarsRuntime }).default
  const handlebars = runtime.create()
  const template = (name: string): Template => {
    const render = handlebars.template(templateSpecs[name])
    return (context) => render(context)
  }
  // HTML built outside the templates (`…Html` fields, triple braces) comes from the markup walker, which escapes every piece.
  handlebars.registerPartial('style', template('export-style'))
  handlebars.registerPartial('mailMessage', template('mail-message'))
  return {
    pageStart: template('export-page-start'),
    pageEnd: template('export-page-end'),
    index: template('export-index'),
    mailExport: template('mail-export'),
    mailMessage: template('mail-message'),
    mailExportReady: template('mail-export-ready')
  }
}

let mainThreadTemplates: Promise<Templates> | undefined

/** The templates of this thread, made on first use and then shared by every export and mail. */
export async function loadTemplates (): Promise<Templates> {
  mainThreadTemplates ??= createTemplates()
  return await mainThreadTemplates
}
