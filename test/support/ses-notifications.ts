export { bounceReport, complaintReport, snsEvent } from '../../scripts/local/ses-notifications.ts';
