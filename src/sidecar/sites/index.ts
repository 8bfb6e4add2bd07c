/** The sidecar's model of the sites: states, refreshes, cluster operations, the kernel's cluster. */
export { SitesError, type SitesErrorCode } from './errors';
export type { CodeLoginOutcome } from './code-login-outcome';
export {
  SitesService,
  type ISiteSessions,
  type ISitesServiceOptions
} from './sites-service';
export type { ISiteGateway, ISiteMetrics } from './site-states';
