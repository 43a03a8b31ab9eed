import "koa";

declare module "koa" {
  interface DefaultState {
    requestId: string;
    cspNonce: string;
    csrfToken: string;
  }
  interface DefaultContext {
    /** Renders views/<view> with the shared page context plus `data`, as the response body. */
    render(view: string, data?: Record<string, unknown>): Promise<void>;
  }
}
