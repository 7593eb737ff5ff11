import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The app is served from the same origin as the API (`make run` on :3000, CloudFront in the
// cloud), so API calls use relative `/api/v1/...` URLs. `npm run dev` proxies them to a stack.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "dist",
    sourcemap: false,
    target: "es2022",
  },
  server: {
    proxy: { "/api": process.env.API_ORIGIN ?? "http://localhost:3000" },
  },
});
