/**
 * An SBOM as Amazon Inspector exports it for an ECR image (Inspector user guide, "Exporting SBOMs"):
 * CycloneDX 1.4, `metadata.component: null`, the image digest in the `imageId` property.
 */
export function inspectorBom(imageId: string) {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.4',
    version: 1,
    metadata: {
      timestamp: '2026-12-01T00:00:00Z',
      component: null,
      properties: [
        { name: 'imageId', value: imageId },
        { name: 'architecture', value: 'amd64' },
        { name: 'accountId', value: '111122223333' },
        { name: 'resourceType', value: 'AWS_ECR_CONTAINER_IMAGE' },
      ],
    },
    components: [
      { type: 'library', name: 'express', purl: 'pkg:npm/express@4.18.2', 'bom-ref': 'a1' },
      { type: 'application', name: 'bash', purl: 'pkg:deb/debian/bash@5.2-1?arch=amd64', 'bom-ref': 'b2' },
    ],
  };
}
