/** ARM error responses: `{"error": {"code", "message", "target"}}` with the HTTP status ARM uses. */
export interface ArmErrorBody {
  error: { code: string; message: string; target?: string; details?: Array<{ code: string; message: string; target?: string }> };
}

export class ArmError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly target?: string,
    public readonly headers: Record<string, string> = {},
    public readonly details?: Array<{ code: string; message: string; target?: string }>,
  ) {
    super(message);
    this.name = 'ArmError';
  }

  body(): ArmErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target ? { target: this.target } : {}),
        ...(this.details ? { details: this.details } : {}),
      },
    };
  }
}

export function notFound(type: string, name: string, resourceGroup?: string): ArmError {
  const where = resourceGroup ? ` under resource group '${resourceGroup}'` : '';
  return new ArmError(404, 'ResourceNotFound', `The Resource '${type}/${name}'${where} was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
}
