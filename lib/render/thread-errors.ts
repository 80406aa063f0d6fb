/** An error as it crosses between the main thread and the HTML render worker: its name and message (a stack would be the other thread's). */
export interface ThreadError { name: string, message: string }

export function toThreadError (err: unknown): ThreadError {
  return { name: (err as Error).name, message: (err as Error).message }
}

export function fromThreadError ({ name, message }: ThreadError): Error {
  return Object.assign(new Error(message), { name })
}
