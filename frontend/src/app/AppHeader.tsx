import { useEffect, useState, type FormEvent, type RefObject } from "react";
import { Link } from "react-router";
import { api } from "../api/client";
import type { User } from "../api/types";
import { ADMIN_PATH, canAdminister } from "../features/admin/adminAccess";

interface Props {
  user: User;
  searchRef: RefObject<HTMLInputElement | null>;
  searchText: string;
  onSearch: (text: string) => void;
  onHome: () => void;
  onHelp: () => void;
}

export function AppHeader({ user, searchRef, searchText, onSearch, onHome, onHelp }: Props) {
  const [text, setText] = useState(searchText);
  useEffect(() => setText(searchText), [searchText]);

  function submit(event: FormEvent) {
    event.preventDefault();
    onSearch(text);
  }

  return (
    <header className="app-header">
      <a
        className="brand"
        href="/"
        onClick={(event) => {
          event.preventDefault();
          onHome();
        }}
      >
        Back office
      </a>
      <form role="search" className="search" onSubmit={submit}>
        <label htmlFor="global-search" className="visually-hidden">
          Search cases
        </label>
        <input
          id="global-search"
          ref={searchRef}
          type="search"
          placeholder="Search cases by name or id  ( / )"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit">Search</button>
      </form>
      <div className="header-right">
        {canAdminister(user) && (
          <Link className="header-link" to={ADMIN_PATH}>
            Admin
          </Link>
        )}
        <button type="button" className="link" onClick={onHelp} aria-label="Keyboard shortcuts">
          ?
        </button>
        <span className="who" data-testid="current-user">
          {user.name || user.email}
          <span className="role">{user.roles.join(", ")}</span>
        </span>
        <button type="button" onClick={() => void api.logout()}>
          Sign out
        </button>
      </div>
    </header>
  );
}
