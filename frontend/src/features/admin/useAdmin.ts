import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../../api/client";

const fresh = { staleTime: 0, refetchOnWindowFocus: false } as const;

export function useUsers(enabled = true) {
  return useQuery({ queryKey: ["admin", "users"], queryFn: ({ signal }) => api.listUsers(signal), enabled, ...fresh });
}

export function useRoles() {
  return useQuery({ queryKey: ["admin", "roles"], queryFn: ({ signal }) => api.listRoles(signal), ...fresh });
}

export function usePermissions() {
  return useQuery({
    queryKey: ["admin", "permissions"],
    queryFn: ({ signal }) => api.listPermissions(signal),
    staleTime: Infinity,
  });
}

/** A change to users or roles: everything admin (and the assignee picker) is read again after. */
export function useAdminChange<A, R>(change: (args: A) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: change,
    onSettled: () => {
      void client.invalidateQueries({ queryKey: ["admin"] });
      void client.invalidateQueries({ queryKey: ["assignees"] });
    },
  });
}
