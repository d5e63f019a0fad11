/** A patient's session user and a stand-in signer, for session tests that never sign anything. */
export const sessionUser = {
  sub: 'alice',
  mspId: 'Hospital1MSP',
  enrollmentId: 'alice',
  role: 'patient' as const,
  participantId: 'a'.repeat(64),
  identityId: 'b'.repeat(64),
};
export const standInSigner = { mspId: 'Hospital1MSP', certificate: 'CERT', privateKey: 'KEY' };
