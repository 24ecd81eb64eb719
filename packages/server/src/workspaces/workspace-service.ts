import type { WorkspaceView } from '@porthole/contracts';
import type { ImageRepo } from '../images/image-repo.js';
import { toWorkspaceView } from '../images/image-view.js';

/** The launcher: enabled workspaces the user's groups allow (admins included: no implicit grant). */
export class WorkspaceService {
  constructor(private readonly images: ImageRepo) {}

  async listFor(userId: string): Promise<WorkspaceView[]> {
    return (await this.images.enabledForUser(userId)).map(toWorkspaceView);
  }
}
