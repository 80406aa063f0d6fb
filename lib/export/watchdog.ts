import { StallError } from './failures.ts'

/**
 * Fails a file export that stops moving. Each step of the pipeline says what
 * it is waiting on (`waitingOn`) and reports progress (`progress`); when no
 * progress comes for `timeoutMs`, `onStall` gets a StallError naming the
 * stage. One timer per export, checked a few times per timeout, so progress
 * itself costs a clock read.
 */
export class StallWatchdog {
  private stage = 'the export'
  /** a stage the pipeline is blocked on: it stays the one named while other stages keep working */
  private blockedStage: string | null = null
  private lastProgress = Date.now()
  private readonly timer: NodeJS.Timeout

  constructor (private readonly timeoutMs: number, onStall: (error: StallError) => void) {
    this.timer = setInterval(() => {
      if (Date.now() - this.lastProgress >= this.timeoutMs) {
        this.stop()
        onStall(new StallError(this.stage, this.timeoutMs))
      }
    }, Math.max(5, Math.floor(timeoutMs / 4)))
    this.timer.unref()
  }

  /** what the export waits on now: the stage a failure of unknown origin is put down to */
  get currentStage (): string {
    return this.stage
  }

  waitingOn (stage: string): void {
    this.stage = this.blockedStage ?? stage
    this.lastProgress = Date.now()
  }

  progress (): void {
    this.lastProgress = Date.now()
  }

  /**
   * The end of the pipeline (the storage) stopped taking bytes. Stages before it
   * may still run until their buffers fill; a stall is then the blocked stage's.
   */
  blockedOn (stage: string): void {
    this.blockedStage = stage
    this.stage = stage
    this.lastProgress = Date.now()
  }

  unblocked (): void {
    this.blockedStage = null
    this.lastProgress = Date.now()
  }

  stop (): void {
    clearInterval(this.timer)
  }
}
