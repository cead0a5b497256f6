import { createRouter, createWebHashHistory } from 'vue-router'
import { session } from './api.js'
import Login from './views/Login.vue'

// Hash history: every route is served by the same {base}/index.html, so relative asset URLs
// and any web.base_path work without server-side rewriting.
export const router = createRouter({
  history: createWebHashHistory(),
  routes: [
    { path: '/login', name: 'login', component: Login, meta: { public: true } },
    // Decided at navigation time: before login "/" must stay "/" (the guard sends it to the login
    // page with no "next"), or an admin would land on "My peers" after logging in.
    { path: '/', name: 'home', redirect: () => (!session.user ? '/login' : session.user.IsAdmin ? '/interfaces' : '/peers') },
    { path: '/interfaces/:id?', name: 'interfaces', component: () => import('./views/Interfaces.vue'), meta: { admin: true } },
    { path: '/peers', name: 'peers', component: () => import('./views/MyPeers.vue') },
    { path: '/users', name: 'users', component: () => import('./views/Users.vue'), meta: { admin: true } },
    { path: '/audit', name: 'audit', component: () => import('./views/Audit.vue'), meta: { admin: true } },
    { path: '/cluster', name: 'cluster', component: () => import('./views/Cluster.vue'), meta: { admin: true } },
    { path: '/deliveries', name: 'deliveries', component: () => import('./views/Deliveries.vue'), meta: { admin: true } },
    { path: '/profile', name: 'profile', component: () => import('./views/Profile.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (to.meta.public) return session.user && to.name === 'login' ? '/' : true
  if (!session.user) return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} }
  if (to.meta.admin && !session.user.IsAdmin) return '/peers'
  return true
})
