/** Microsoft.Storage operation ids the sandbox serves over ARM, as in Microsoft's swagger (a leaf module: the ARM router and the storage state both need it). */
export const STORAGE_OPERATIONS = [
  'StorageAccounts_List',
  'StorageAccounts_ListByResourceGroup',
  'StorageAccounts_GetProperties',
  'ManagementPolicies_Get',
  'ManagementPolicies_CreateOrUpdate',
  'ManagementPolicies_Delete',
] as const;

/** Blob service operations the sandbox serves for the world's blobs. */
export const BLOB_OPERATIONS = ['ListContainers', 'GetContainerProperties', 'ListBlobs', 'GetBlobProperties', 'SetBlobTier'] as const;
